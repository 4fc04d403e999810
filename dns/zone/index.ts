// Records from store watches, per the DNS spec 1.1.0 and CoreDNS's kubernetes plugin.
export {};
