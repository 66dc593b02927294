import type { Route } from './routes';

/**
 * Kubernetes Ingress path matching, so that the local gateway and the ingress agree: `exact` is
 * the whole path; `prefix` matches whole segments (`/api/v1/` matches `/api/v1` and `/api/v1/9`,
 * not `/api/v12`). The longest matching path wins; at equal length, exact beats prefix.
 */
export function matchRoute(routes: readonly Route[], path: string): Route | undefined {
  let best: Route | undefined;
  let bestLength = -1;
  for (const route of routes) {
    const length = matchedLength(route, path);
    if (length === undefined) continue;
    if (length > bestLength || (length === bestLength && route.match === 'exact' && best?.match !== 'exact')) {
      best = route;
      bestLength = length;
    }
  }
  return best;
}

/** The route a public entry point (gateway, ingress) serves `path` with; none when the best match is not public. */
export function matchPublicRoute(routes: readonly Route[], path: string): Route | undefined {
  const route = matchRoute(routes, path);
  return route?.public ? route : undefined;
}

/** How long the matched part of the route's path is, or undefined when it does not match. */
function matchedLength(route: Route, path: string): number | undefined {
  if (route.match === 'exact') return path === route.path ? route.path.length : undefined;
  const prefix = route.path.replace(/\/+$/, '');
  if (prefix === '') return 0; // "/" matches every path
  return path === prefix || path.startsWith(`${prefix}/`) ? prefix.length : undefined;
}
