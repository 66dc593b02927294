import { ConfigStore, type ServiceConfig } from '../../src/config-store';
import { matchesEntityTag } from '../../src/routes';

describe('ConfigStore', () => {
  it('merges the sources of a service in id order, the last one winning', () => {
    const store = new ConfigStore();
    store.upsert({ id: 'configmap/ns/b', service: 'user-service', settings: { LOG_LEVEL: 'debug', FEATURE_FLAGS: 'x' } });
    store.upsert({ id: 'configmap/ns/a', service: 'user-service', settings: { LOG_LEVEL: 'warn', CONSUMER_CONCURRENCY: '2' } });
    expect(store.get('user-service')).toMatchObject({
      settings: { LOG_LEVEL: 'debug', FEATURE_FLAGS: 'x', CONSUMER_CONCURRENCY: '2' },
      sources: ['configmap/ns/a', 'configmap/ns/b'],
    });
    expect(store.services()).toEqual(['user-service']);
  });

  it('notifies a change once, and not when the same settings are delivered again', () => {
    const store = new ConfigStore();
    const seen: (ServiceConfig | undefined)[] = [];
    store.subscribe('cart-query', (config) => seen.push(config));
    store.upsert({ id: 'file/cart-query.json', service: 'cart-query', settings: { LOG_LEVEL: 'info' } });
    store.upsert({ id: 'file/cart-query.json', service: 'cart-query', settings: { LOG_LEVEL: 'info' } });
    store.replaceAll([{ id: 'file/cart-query.json', service: 'cart-query', settings: { LOG_LEVEL: 'info' } }]);
    store.upsert({ id: 'file/cart-query.json', service: 'cart-query', settings: { LOG_LEVEL: 'debug' } });
    expect(seen.map((c) => c?.settings.LOG_LEVEL)).toEqual(['info', 'debug']);
    expect(seen[0]!.etag).not.toBe(seen[1]!.etag);
  });

  it('reports a service whose last source is removed as absent', () => {
    const store = new ConfigStore();
    const seen: (ServiceConfig | undefined)[] = [];
    store.upsert({ id: 'configmap/ns/x', service: 'order-service', settings: { LOG_LEVEL: 'info' } });
    store.subscribe('order-service', (config) => seen.push(config));
    store.remove('configmap/ns/x');
    store.remove('configmap/ns/x');
    expect(seen).toEqual([undefined]);
    expect(store.get('order-service')).toBeUndefined();
  });

  it('moves a source to another service when its label changes, notifying both', () => {
    const store = new ConfigStore();
    const changes: string[] = [];
    store.subscribe('a', (c) => changes.push(`a:${c ? c.settings.K : 'absent'}`));
    store.subscribe('b', (c) => changes.push(`b:${c ? c.settings.K : 'absent'}`));
    store.upsert({ id: 'configmap/ns/m', service: 'a', settings: { K: '1' } });
    store.upsert({ id: 'configmap/ns/m', service: 'b', settings: { K: '1' } });
    expect(changes[0]).toBe('a:1');
    expect(changes.slice(1).sort()).toEqual(['a:absent', 'b:1']);
  });

  it('replaceAll drops what a relist no longer holds', () => {
    const store = new ConfigStore();
    store.upsert({ id: 'configmap/ns/a', service: 'a', settings: { K: '1' } });
    store.upsert({ id: 'configmap/ns/b', service: 'b', settings: { K: '2' } });
    store.replaceAll([{ id: 'configmap/ns/b', service: 'b', settings: { K: '3' } }]);
    expect(store.services()).toEqual(['b']);
    expect(store.get('b')!.settings).toEqual({ K: '3' });
  });

  it('gives equal settings equal entity tags whatever the key order, and stops notifying after unsubscribe', () => {
    const one = new ConfigStore();
    const two = new ConfigStore();
    one.upsert({ id: 'x', service: 's', settings: { A: '1', B: '2' } });
    two.upsert({ id: 'y', service: 's', settings: { B: '2', A: '1' } });
    expect(one.get('s')!.etag).toBe(two.get('s')!.etag);
    expect(one.get('s')!.etag).toMatch(/^"[0-9a-f]{32}"$/);
    const seen: unknown[] = [];
    const unsubscribe = one.subscribe('s', (c) => seen.push(c));
    unsubscribe();
    one.upsert({ id: 'x', service: 's', settings: { A: '9' } });
    expect(seen).toEqual([]);
    expect(one.listenerCount()).toBe(0);
  });
});

describe('matchesEntityTag', () => {
  it('matches a listed, weak or wildcard tag and nothing else', () => {
    expect(matchesEntityTag('"abc"', '"abc"')).toBe(true);
    expect(matchesEntityTag('"x", W/"abc"', '"abc"')).toBe(true);
    expect(matchesEntityTag('*', '"abc"')).toBe(true);
    expect(matchesEntityTag('"abd"', '"abc"')).toBe(false);
    expect(matchesEntityTag(undefined, '"abc"')).toBe(false);
  });
});
