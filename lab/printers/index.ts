// The door of lab/printers: kubectl's columns per kind, Tables, and kubectl's text rendering.
export {
  type Cell,
  type ColumnDefinition,
  type ColumnType,
  defaultPrinter,
  formatLabels,
  type KindPrinter,
  kindPrinters,
  printerFor,
} from './columns.js';
export { humanDuration, since } from './duration.js';
export {
  type IncludeObject,
  type MetaTable,
  type RenderOptions,
  renderTable,
  type TableOptions,
  type TableRow,
  tableLines,
  tabwrite,
  toTable,
} from './table.js';
export { DescribeWriter } from './tabwriter.js';
