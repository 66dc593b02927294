import { z } from 'zod';
import { notFound, serviceUnavailable, validateParams, type Router } from '@eventline/http';
import type { ServiceState } from '@eventline/http';
import { SERVICE_NAME, type ConfigStore, type ServiceConfig } from './config-store';
import type { EventStreams } from './event-stream';

const serviceParams = z.object({
  service: z.string().max(63).regex(SERVICE_NAME, 'must be a service name: lower-case letters, digits and -'),
});

const view = (config: ServiceConfig) => ({ service: config.service, settings: config.settings, sources: config.sources, version: config.etag });

/** True when an If-None-Match header lists this entity tag (or is `*`). */
export function matchesEntityTag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}

export interface ConfigRoutesOptions {
  store: ConfigStore;
  /** Open watch streams, ended by the service's drain hook. */
  streams: EventStreams;
}

export function registerConfigRoutes(router: Router<ServiceState>, { store, streams }: ConfigRoutesOptions): void {
  router.get('/config', (ctx) => {
    ctx.body = store.services().map((service) => ({ service, version: store.get(service)!.etag }));
  });

  router.get('/config/:service', (ctx) => {
    const { service } = validateParams(ctx, serviceParams);
    const config = store.get(service);
    if (!config) throw notFound(`no configuration for service "${service}"`, { service });
    ctx.set('ETag', config.etag);
    ctx.set('Cache-Control', 'no-cache');
    if (matchesEntityTag(ctx.get('If-None-Match'), config.etag)) {
      ctx.status = 304;
      return;
    }
    ctx.body = view(config);
  });

  // Server-sent events: the current state at once (`config`, or `absent`), then every change.
  router.get('/config/:service/watch', (ctx) => {
    const { service } = validateParams(ctx, serviceParams);
    const stream = streams.start(ctx);
    if (!stream) throw serviceUnavailable('config-service is shutting down; reconnect to another instance');
    const publish = (config: ServiceConfig | undefined) => {
      if (config) stream.send('config', view(config), config.etag);
      else stream.send('absent', { service });
    };
    const unsubscribe = store.subscribe(service, publish);
    publish(store.get(service));
    void stream.closed.then(unsubscribe);
  });
}
