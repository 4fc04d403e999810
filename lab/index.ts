// The door of lab/: empty. Nothing below lab/ imports lab (a lower layer declares an interface that
// lab implements), and lab is run (lab/cli.ts), not imported; tests import its files directly.
export {};
