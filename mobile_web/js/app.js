// Entry point of the phone client: start the controller, and say so if it cannot start.

import { start } from "./controller.js";

start().catch((error) => {
  const main = document.getElementById("main");
  const p = document.createElement("p");
  p.className = "error";
  p.setAttribute("role", "alert");
  p.textContent = `页面启动失败：${error && error.message ? error.message : error}。请刷新重试。`;
  main.replaceChildren(p);
  throw error;
});
