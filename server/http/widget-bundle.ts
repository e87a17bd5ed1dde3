// The widget bundle's route, /widget/*.js: the built files of dist/widget, or, when there are none, a 404 that says how
// to build them (a fresh clone has no bundle until `npm run build:widget` or the first `parley serve`).
import express, { type Router } from 'express';
import { HttpError } from './errors.ts';
import { WIDGET_NOT_BUILT } from './widget-not-built.ts';

export function widgetBundleRouter(widgetDir: string | undefined): Router {
  const router = express.Router();
  if (widgetDir === undefined) {
    router.get('/:file', (req, _res, next) => {
      if (!req.params.file.endsWith('.js')) return next();
      throw new HttpError(404, 'widget_not_built', WIDGET_NOT_BUILT);
    });
    return router;
  }
  router.use(
    express.static(widgetDir, {
      index: false,
      setHeaders(res, file) {
        // hashed chunks never change; the entry file must revalidate so hosts get new releases
        const hashed = /-[A-Za-z0-9_-]{8,}\.js$/.test(file);
        res.setHeader(
          'Cache-Control',
          hashed ? 'public, max-age=31536000, immutable' : 'public, max-age=300, must-revalidate',
        );
        res.setHeader('Access-Control-Allow-Origin', '*');
        res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
      },
    }),
  );
  return router;
}
