// The door of dns/: other folders import only from here.
export {};
