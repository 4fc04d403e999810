// The images netlab runs, by name: agnhost, pause and (with a zone) coredns; what a Pod's image
// names is looked up without its tag or digest.
import type { HostPort, Zone } from '../../dns/index.js';
import { agnhost, pause } from './agnhost.js';
import type { Image } from './app.js';
import { corednsImage } from './coredns.js';

/** `registry.k8s.io/e2e-test-images/agnhost:2.53` -> `registry.k8s.io/e2e-test-images/agnhost`. */
export function imageName(image: string): string {
  const at = image.indexOf('@');
  const noDigest = at >= 0 ? image.slice(0, at) : image;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

export interface ImageRegistryOptions {
  /** The cluster DNS zone the coredns image serves. */
  zone?: Zone;
  /** Where the coredns image forwards names outside the zone. */
  upstream?: HostPort;
}

/** The images netlab runs, by name; anything else runs `defaultEcho`. */
export function builtinImages(opts: ImageRegistryOptions = {}): Map<string, Image> {
  const m = new Map<string, Image>([
    ['registry.k8s.io/e2e-test-images/agnhost', agnhost],
    ['k8s.gcr.io/e2e-test-images/agnhost', agnhost],
    ['registry.k8s.io/pause', pause],
    ['k8s.gcr.io/pause', pause],
  ]);
  if (opts.zone) {
    const coredns = corednsImage(opts.zone, opts.upstream);
    m.set('registry.k8s.io/coredns/coredns', coredns);
    m.set('coredns/coredns', coredns);
  }
  return m;
}
