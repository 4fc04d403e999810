// The door of lab/printers: kubectl's columns per kind, Tables, and kubectl's text rendering.
export { formatLabels } from './columns.js';
export { since } from './duration.js';
export { type MetaTable, renderTable, toTable } from './table.js';
export { DescribeWriter } from './tabwriter.js';
