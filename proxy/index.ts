// The door of proxy/: other folders import only from here.
export {};
