import { KubeConfig } from '@kubernetes/client-node';

/** KUBECONFIG when set, else the pod's service account (client-node's loadFromDefault). */
export function defaultKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (kubeconfigPath) kubeConfig.loadFromFile(kubeconfigPath);
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}
