// A QR code of this page's own address, drawn locally as SVG so the speaker can
// put it on the projector; nothing is fetched from another host.
import qrcode from "../vendor/qrcode-generator.js?v=1.1.0";

const SVG = "http://www.w3.org/2000/svg";
const QUIET_ZONE = 4; // modules of white border the QR specification asks for

export function pageAddress(location = window.location) {
  return `${location.origin}${location.pathname}`;
}

export function renderQr(container, text) {
  const code = qrcode(0, "M"); // 0: the smallest version that fits the text
  code.addData(text);
  code.make();
  const count = code.getModuleCount();
  const size = count + QUIET_ZONE * 2;
  let path = "";
  for (let row = 0; row < count; row += 1) {
    for (let col = 0; col < count; col += 1) {
      if (code.isDark(row, col)) path += `M${col + QUIET_ZONE} ${row + QUIET_ZONE}h1v1h-1z`;
    }
  }
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `QR code for ${text}`);
  svg.setAttribute("shape-rendering", "crispEdges");
  const background = document.createElementNS(SVG, "rect");
  background.setAttribute("width", String(size));
  background.setAttribute("height", String(size));
  background.setAttribute("fill", "#fff");
  const modules = document.createElementNS(SVG, "path");
  modules.setAttribute("d", path);
  modules.setAttribute("fill", "#000");
  svg.append(background, modules);
  container.replaceChildren(svg);
}
