// Browser stand-in for the Node built-ins prom-client loads but the benchmark never uses
// (cluster, fs, http, https, url, zlib, v8, perf_hooks): an empty module.
"use strict";
module.exports = {};
