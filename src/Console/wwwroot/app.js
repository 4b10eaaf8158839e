// Small browser helpers for the console: theme choice, readiness marker for tests, downloads.
window.conops = {
  getTheme: () => localStorage.getItem("conops.theme"),
  setTheme: (theme) => localStorage.setItem("conops.theme", theme),
  // Set once the interactive circuit has rendered, so automation knows clicks will be handled.
  markReady: () => document.body.setAttribute("data-conops-ready", "true"),
  download: (fileName, text) => {
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = fileName;
    document.body.appendChild(a);
    a.click();
    a.remove();
    URL.revokeObjectURL(url);
  },
};
// Keeps a followed log at its newest line.
window.conops.scrollToEnd = (element) => { if (element) element.scrollTop = element.scrollHeight; };
