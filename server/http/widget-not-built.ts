// What the server says when it started without a widget bundle: the 404 of /widget/parley-widget.js and the start
// log. A module of its own so `parley serve` can say it before listening without loading express.

export const WIDGET_NOT_BUILT =
  'the widget bundle is not built: run `npm run build:widget` (it writes dist/widget), then restart the server';
