import { containerSamples, parseQuantity } from '../../src/resource-metrics';

describe('containerSamples', () => {
  it("joins each container's working set and CPU time from the kubelet's text format", () => {
    const text = [
      '# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds',
      '# TYPE container_cpu_usage_seconds_total counter',
      'container_cpu_usage_seconds_total{container="traefik",namespace="traefik",pod="traefik-68f4955cf7-9czmq"} 3.813503487 1796451942256',
      'container_cpu_usage_seconds_total{container="app",namespace="shop",pod="shop-cart-0"} 12.5 1796451942256',
      'container_memory_working_set_bytes{container="traefik",namespace="traefik",pod="traefik-68f4955cf7-9czmq"} 3.3050624e+07 1796451942256',
      'container_memory_working_set_bytes{container="app",namespace="shop",pod="shop-cart-0"} 104857600 1796451942256',
      'container_start_time_seconds{container="app",namespace="shop",pod="shop-cart-0"} 1.7964501724524498e+09',
      'node_memory_working_set_bytes 7.8e+08 1796451942256',
    ].join('\n');
    expect(containerSamples(text)).toEqual([
      { namespace: 'traefik', pod: 'traefik-68f4955cf7-9czmq', container: 'traefik', cpuSeconds: 3.813503487, workingSetBytes: 33050624 },
      { namespace: 'shop', pod: 'shop-cart-0', container: 'app', cpuSeconds: 12.5, workingSetBytes: 104857600 },
    ]);
  });
});

describe('parseQuantity', () => {
  it('reads binary and decimal suffixes, millis and exponents', () => {
    expect(parseQuantity('384Mi')).toBe(384 * 2 ** 20);
    expect(parseQuantity('1Gi')).toBe(2 ** 30);
    expect(parseQuantity('250m')).toBe(0.25);
    expect(parseQuantity('2')).toBe(2);
    expect(parseQuantity('1.5G')).toBe(1.5e9);
    expect(parseQuantity('128974848')).toBe(128974848);
    expect(() => parseQuantity('12 parsecs')).toThrow('not a Kubernetes quantity');
    expect(() => parseQuantity('3Xi')).toThrow('unknown quantity suffix');
  });
});
