// Replaces prom-client when it cannot be bundled (`node bench/js/browser.mjs --no-prom`): the suite
// then compares against the pure-JS reference only.
export default null;
