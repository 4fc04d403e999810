// The virtual flat network: nodes, bridges, attachments, routes.
export {};
