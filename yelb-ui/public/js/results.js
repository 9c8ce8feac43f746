// The results chart: one table row per option with its count, its share and a bar.

// Shares in whole percent that add up to exactly 100 (largest remainder), so the
// column never shows 33 + 33 + 33 for three equal options.
export function shares(counts) {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return counts.map(() => 0);
  const exact = counts.map((count) => (count * 100) / total);
  const result = exact.map(Math.floor);
  let missing = 100 - result.reduce((sum, share) => sum + share, 0);
  const byRemainder = exact
    .map((value, index) => [value - Math.floor(value), index])
    .sort((a, b) => b[0] - a[0]);
  for (const [, index] of byRemainder) {
    if (missing === 0) break;
    result[index] += 1;
    missing -= 1;
  }
  return result;
}

function cell(tag, text, className) {
  const element = document.createElement(tag);
  element.textContent = text;
  if (className) element.className = className;
  return element;
}

// votes: [{name, value}] from /api/getvotes; labels: Map name -> display label.
export function renderResults(body, totalCell, votes, labels) {
  const percents = shares(votes.map((vote) => vote.value));
  const top = Math.max(0, ...votes.map((vote) => vote.value));
  const rows = votes.map((vote, index) => {
    const row = document.createElement("tr");
    row.dataset.option = vote.name;
    row.append(cell("th", labels.get(vote.name) ?? vote.name));
    row.firstChild.scope = "row";
    row.append(cell("td", String(vote.value), "num count"));
    const track = cell("span", "", "share__track");
    track.setAttribute("aria-hidden", "true");
    const bar = cell("span", "", "bar");
    // Bars scale to the leader so small differences stay visible on a projector.
    bar.style.width = top === 0 ? "0" : `${(vote.value * 100) / top}%`;
    bar.classList.toggle("bar--leader", top > 0 && vote.value === top);
    track.append(bar);
    const share = cell("span", "", "share");
    share.append(track, cell("span", `${percents[index]}%`, "percent"));
    const shareCell = cell("td", "", "share-cell");
    shareCell.append(share);
    row.append(shareCell);
    return row;
  });
  body.replaceChildren(...rows);
  const total = votes.reduce((sum, vote) => sum + vote.value, 0);
  totalCell.textContent = String(total);
  return total;
}
