// kube-apiserver's allocators: Service IPs and NodePorts (bitmaps).
export {};
