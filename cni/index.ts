// The door of cni/: other folders import only from here.
export {};
