// The door of ipam/: other folders import only from here.
export {};
