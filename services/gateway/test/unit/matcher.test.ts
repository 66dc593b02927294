import { matchPublicRoute, matchRoute } from '../../src/matcher';
import { parseRouteTable, type Route } from '../../src/routes';
import chartRoutes from '../../../../charts/eventline/files/routes.json';

const route = (path: string, match: Route['match'], service: string, isPublic = true): Route => ({
  path,
  match,
  service,
  public: isPublic,
});

describe('matchRoute', () => {
  const routes = [
    route('/api/', 'prefix', 'api'),
    route('/api/v1/', 'prefix', 'v1'),
    route('/api/v1/add', 'exact', 'add'),
    route('/same', 'prefix', 'same-prefix'),
    route('/same', 'exact', 'same-exact'),
  ];
  const serviceFor = (path: string) => matchRoute(routes, path)?.service;

  it('prefers an exact route over a prefix that also matches', () => {
    expect(serviceFor('/api/v1/add')).toBe('add');
  });

  it('prefers exact over prefix at equal length, whatever the order of the table', () => {
    expect(serviceFor('/same')).toBe('same-exact');
    expect(matchRoute([...routes].reverse(), '/same')?.service).toBe('same-exact');
    expect(serviceFor('/same/x')).toBe('same-prefix');
  });

  it('prefers the longer prefix, whatever the order of the table', () => {
    expect(serviceFor('/api/v1/123')).toBe('v1');
    expect(matchRoute([...routes].reverse(), '/api/v1/123')?.service).toBe('v1');
    expect(serviceFor('/api/v2/123')).toBe('api');
  });

  it('matches an exact route only on the whole path', () => {
    expect(serviceFor('/api/v1/add/')).toBe('v1');
    expect(serviceFor('/api/v1/addition')).toBe('v1');
  });

  it('matches prefixes on whole segments, with or without the trailing slash', () => {
    expect(serviceFor('/api/v1')).toBe('v1');
    expect(serviceFor('/api/v1/')).toBe('v1');
    expect(serviceFor('/api/v12')).toBe('api');
    expect(serviceFor('/apix')).toBeUndefined();
  });

  it('matches nothing for an unknown path', () => {
    expect(serviceFor('/')).toBeUndefined();
    expect(serviceFor('/nowhere')).toBeUndefined();
    expect(matchRoute([], '/api/v1')).toBeUndefined();
  });

  it('lets a "/" prefix match every path, below any longer match', () => {
    const withRoot = [...routes, route('/', 'prefix', 'root')];
    expect(matchRoute(withRoot, '/nowhere')?.service).toBe('root');
    expect(matchRoute(withRoot, '/api/v1/add')?.service).toBe('add');
  });
});

describe('matchPublicRoute', () => {
  const routes = [route('/', 'prefix', 'root'), route('/internal/', 'prefix', 'internal', false), route('/public/', 'prefix', 'public')];

  it('excludes a route that is not public, even when a public route would match too', () => {
    expect(matchRoute(routes, '/internal/x')?.service).toBe('internal');
    expect(matchPublicRoute(routes, '/internal/x')).toBeUndefined();
  });

  it('returns public routes', () => {
    expect(matchPublicRoute(routes, '/public/x')?.service).toBe('public');
    expect(matchPublicRoute(routes, '/elsewhere')?.service).toBe('root');
  });
});

describe('the chart route table', () => {
  const table = parseRouteTable(chartRoutes, 'routes.json');
  const serviceFor = (path: string) => matchPublicRoute(table.routes, path)?.service;

  it.each([
    ['/user-service/users', 'user-service'],
    ['/user-service/users/1', 'user-service'],
    ['/user-service/update', 'user-service'],
    ['/product-service/products/2', 'product-service'],
    ['/order-service/all', 'order-service'],
    ['/order-service/orders/5/cancel', 'order-service'],
    ['/api/v1/add', 'cart-service'],
    ['/api/v1/remove', 'cart-service'],
    ['/api/v1/checkout', 'cart-service'],
    ['/cart-service/carts/123/events', 'cart-service'],
    ['/api/v1/123', 'cart-query'],
    ['/api/SOA/home/checkin', 'fulfillment-service'],
  ])('routes %s to %s', (path, service) => {
    expect(serviceFor(path)).toBe(service);
  });

  it('does not expose config-service, nor unknown paths', () => {
    expect(matchRoute(table.routes, '/config/order-service')?.service).toBe('config-service');
    expect(serviceFor('/config/order-service')).toBeUndefined();
    expect(serviceFor('/users')).toBeUndefined();
    expect(serviceFor('/api/v2/123')).toBeUndefined();
  });

  it("gives every routed service a port of its own, the seeds' ports among them", () => {
    const routed = new Set(table.routes.map((route) => route.service));
    expect([...routed].filter((service) => table.services[service] === undefined)).toEqual([]);
    const ports = Object.values(table.services).map((service) => service.port);
    expect(new Set(ports).size).toBe(ports.length);
    // The seeds call these services on these ports.
    expect({ order: table.services['order-service']?.port, cartQuery: table.services['cart-query']?.port, fulfillment: table.services['fulfillment-service']?.port }).toEqual({
      order: 8081,
      cartQuery: 7000,
      fulfillment: 3000,
    });
  });
});
