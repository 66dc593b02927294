import { applyGatewayAddon, waitForGatewayAddon } from './addons';
import { ensureTraefikImage } from './traefik-image';

export interface GatewayInstallTimes {
  /** Traefik's Go build and image, 0 when both are cached. */
  image: number;
  /** The Gateway API CRDs applied and Established, Traefik's objects applied. */
  apply: number;
  /** Traefik's pod Ready. */
  ready: number;
}

const since = (started: number) => Math.round((Date.now() - started) / 100) / 10;

/**
 * The gateway addon alone, on a cluster that is already up (`up` installs it with the other
 * addons): `npm run cluster -- gateway` and the gateway test. Idempotent.
 */
export async function installGateway(): Promise<GatewayInstallTimes> {
  let started = Date.now();
  await ensureTraefikImage();
  const image = since(started);
  started = Date.now();
  applyGatewayAddon();
  const apply = since(started);
  started = Date.now();
  await waitForGatewayAddon();
  return { image, apply, ready: since(started) };
}
