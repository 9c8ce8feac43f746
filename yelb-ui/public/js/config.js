// How often the page refreshes: ?refresh=<seconds> in the page address wins, then
// "refreshSeconds" in /config.json (the nginx front renders it from
// YELB_UI_REFRESH_SECONDS), then the default.

export const DEFAULT_REFRESH_SECONDS = 5;
export const MIN_REFRESH_SECONDS = 1;
export const MAX_REFRESH_SECONDS = 300;

// Returns whole seconds within the allowed range, or null for anything else.
export function parseRefreshSeconds(value) {
  if (value === null || value === undefined || value === "") return null;
  const seconds = Number(value);
  if (!Number.isInteger(seconds)) return null;
  if (seconds < MIN_REFRESH_SECONDS || seconds > MAX_REFRESH_SECONDS) return null;
  return seconds;
}

async function configuredSeconds() {
  try {
    const response = await fetch("/config.json", { cache: "no-store" });
    if (!response.ok) return null;
    const config = await response.json();
    return parseRefreshSeconds(config.refreshSeconds);
  } catch {
    return null; // no config file: the default applies
  }
}

export async function refreshSeconds(location = window.location) {
  const fromAddress = parseRefreshSeconds(new URLSearchParams(location.search).get("refresh"));
  return fromAddress ?? (await configuredSeconds()) ?? DEFAULT_REFRESH_SECONDS;
}
