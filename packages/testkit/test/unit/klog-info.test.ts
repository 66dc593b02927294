import { withoutKlogInfo } from '../../src/kube';

describe('withoutKlogInfo', () => {
  it("drops client-go's informational lines and keeps warnings, errors and plain text", () => {
    const info = 'I1205 22:49:22.914470   17968 reflector.go:664] "Warning: watch ended with error" reflector="pkg/mod/k8s.io/client-go@v0.37.2/tools/cache/reflector.go:343"';
    const warning = 'W1205 22:49:23.000001   17968 warnings.go:70] would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false';
    const error = 'E1205 22:49:24.100000   17968 reflector.go:200] failed to list';
    expect(withoutKlogInfo(`${info}\n`)).toBe('');
    expect(withoutKlogInfo([info, warning, error, 'Error: INSTALLATION FAILED'].join('\n'))).toBe([warning, error, 'Error: INSTALLATION FAILED'].join('\n'));
    expect(withoutKlogInfo('Warning: would violate PodSecurity')).toBe('Warning: would violate PodSecurity');
  });
});
