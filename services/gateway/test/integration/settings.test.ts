import { ConfigError } from '@eventline/config';
import { loadGatewaySettings } from '../../src/settings';

describe('loadGatewaySettings (reads the chart route table)', () => {
  it('defaults to port 8080, a 30 s timeout and each service on 127.0.0.1 at its port', () => {
    const settings = loadGatewaySettings({ UPSTREAM_CART_QUERY: 'http://10.1.2.3:7000' });
    expect(settings.port).toBe(8080);
    expect(settings.upstreamTimeoutMs).toBe(30_000);
    expect(settings.upstreams.get('user-service')?.href).toBe('http://127.0.0.1:8091/');
    expect(settings.upstreams.get('cart-query')?.href).toBe('http://10.1.2.3:7000/');
    expect(settings.table.routes.length).toBeGreaterThan(0);
  });

  it('names every bad setting, and a route table that cannot be read', () => {
    expect(() => loadGatewaySettings({ PORT: 'x', UPSTREAM_USER_SERVICE: 'ftp://a' })).toThrow(/PORT must be an integer.*UPSTREAM_USER_SERVICE must be a URL with scheme http/);
    expect(() => loadGatewaySettings({ ROUTES_FILE: '/nonexistent/routes.json' })).toThrow(ConfigError);
  });
});
