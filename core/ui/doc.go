// Package ui is hypervisord's web dashboard: plain HTML, CSS and JavaScript modules embedded in
// the binary and served at /ui/, with nothing fetched from elsewhere at run time and no build
// step. The pages call the same REST API and WebSocket as hyperctl and scripts do; the
// dashboard has no API of its own (docs/dashboard.md).
//
// Caching: the page (/ui/) is revalidated on every load (Cache-Control: no-cache, with an ETag),
// and names its assets under /ui/a-<hash>/, where <hash> is a digest of every embedded file.
// Those are cached for a year as immutable: a new build changes the hash, so a browser never
// mixes the modules of two builds.
package ui
