// Two pages (the LiveView demo and the dashboard), one bundle each; everything is served by demo_server
// from the build output (its --web-root). No import of "vite": the config is plain data.
export default {
  build: {
    rollupOptions: {
      input: {
        main: "index.html",
        dashboard: "dashboard.html",
      },
    },
  },
};
