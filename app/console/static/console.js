// Small progressive enhancements; every page works without them.
"use strict";

// Ask before actions that change what citizens see (publish, roll back, unpublish, delete).
document.addEventListener("submit", (event) => {
  const button = event.submitter;  // a button may carry its own question (e.g. "mark out of scope")
  const question = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// "今天已確認" fills the last-verified date with today's date (Taiwan time).
document.addEventListener("click", (event) => {
  const field = event.target.dataset && event.target.dataset.today;
  if (!field) return;
  const input = document.querySelector(`input[name="${field}"]`);
  const today = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
  if (input) input.value = today;
});

// After a publish, say when this server answers from the new content (it rebuilds in the background).
const watch = document.querySelector("[data-revision-watch]");
if (watch) {
  const started = Date.now();
  const poll = async () => {
    try {
      const response = await fetch("/console/status.json", { credentials: "same-origin" });
      const status = await response.json();
      if (status.serving !== null && status.serving >= status.published) {
        const seconds = Math.max(1, Math.round((Date.now() - started) / 1000));
        watch.textContent = `新內容已生效：機器人現在用最新內容回答（約 ${seconds} 秒）。`;
        watch.classList.add("done");
        return;
      }
      if (status.error) watch.textContent = `新內容還沒生效，機器人繼續用上一版回答：${status.error}`;
    } catch (error) {
      watch.textContent = "無法取得更新狀態，請稍後重新整理頁面。";
    }
    if (Date.now() - started < 120000) setTimeout(poll, 1000);
  };
  poll();
}

// Rows of the edit form (benefits, contacts, …): 「新增一列」 copies the hidden template row under a fresh index,
// 「刪除」 takes a row out. Without script the rows on the page are still edited, and a row emptied is dropped on save.
const renumber = (container) => {
  container.querySelectorAll(":scope > [data-row] [data-row-number]").forEach((number, position) => {
    number.textContent = String(position + 1);
  });
};
document.querySelectorAll("[data-add-row], [data-remove-row]").forEach((button) => { button.hidden = false; });
document.addEventListener("click", (event) => {
  const add = event.target.closest && event.target.closest("[data-add-row]");
  if (add) {
    const kind = add.dataset.addRow;
    const container = document.querySelector(`[data-rows="${kind}"]`);
    const template = document.querySelector(`template[data-row-template="${kind}"]`);
    const index = Number(container.dataset.nextIndex || 0);
    container.dataset.nextIndex = String(index + 1);
    const row = document.createElement("div");
    row.innerHTML = template.innerHTML.replaceAll("__index__", String(index));
    const fieldset = row.firstElementChild;
    fieldset.querySelectorAll("[data-remove-row]").forEach((button) => { button.hidden = false; });
    container.append(fieldset);
    renumber(container);
    const first = fieldset.querySelector("input, select, textarea");
    if (first) first.focus();
    return;
  }
  const remove = event.target.closest && event.target.closest("[data-remove-row]");
  if (remove) {
    const row = remove.closest("[data-row]");
    const container = row.parentElement;
    row.remove();
    renumber(container);
  }
});
