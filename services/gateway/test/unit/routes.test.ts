import { ConfigError } from '@eventline/config';
import { parseRouteTable } from '../../src/routes';
import { resolveUpstreams, upstreamVariable } from '../../src/upstreams';

const services = { a: { port: 8001 }, 'b-service': { port: 8002 } };

function problemsOf(json: unknown): readonly string[] {
  try {
    parseRouteTable(json, 't.json');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the table was accepted');
}

describe('parseRouteTable', () => {
  it('makes routes public unless they say otherwise', () => {
    const table = parseRouteTable(
      {
        routes: [
          { path: '/a/', match: 'prefix', service: 'a' },
          { path: '/b', match: 'exact', service: 'b-service', public: false },
        ],
        services,
      },
      't.json',
    );
    expect(table.routes.map((r) => r.public)).toEqual([true, false]);
  });

  it('refuses a route naming an unknown service, and repeated routes', () => {
    const problems = problemsOf({
      routes: [
        { path: '/a/', match: 'prefix', service: 'a' },
        { path: '/a/', match: 'prefix', service: 'a' },
        { path: '/c/', match: 'prefix', service: 'c' },
      ],
      services,
    });
    expect(problems).toEqual(['t.json: routes.1 repeats prefix /a/', 't.json: routes.2 names unknown service "c"']);
  });

  it('refuses a bad match kind, a relative path and unknown keys', () => {
    const problems = problemsOf({
      routes: [{ path: 'a', match: 'regex', service: 'a', methods: ['GET'] }],
      services,
    });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/routes\.0\.path/);
    expect(problems.join('\n')).toMatch(/routes\.0\.match/);
    expect(problems.join('\n')).toMatch(/methods/);
  });
});

describe('upstreams', () => {
  const table = { routes: [], services };

  it('names the override variable after the service', () => {
    expect(upstreamVariable('user-service')).toBe('UPSTREAM_USER_SERVICE');
    expect(upstreamVariable('cart-query')).toBe('UPSTREAM_CART_QUERY');
  });

  it('uses 127.0.0.1 and the local port unless overridden', () => {
    const upstreams = resolveUpstreams(table, { UPSTREAM_B_SERVICE: 'http://10.0.0.5:9000' });
    expect(upstreams.get('a')?.href).toBe('http://127.0.0.1:8001/');
    expect(upstreams.get('b-service')?.href).toBe('http://10.0.0.5:9000/');
  });
});
