// Progressive enhancement only: every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Links that open a <dialog> holding the same form as the page they point to.
  for (const link of document.querySelectorAll("[data-dialog]")) {
    const dialog = document.getElementById(link.dataset.dialog);
    if (!dialog || typeof dialog.showModal !== "function") continue;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      dialog.showModal();
      const first = dialog.querySelector("input:not([type=hidden])");
      if (first) first.focus();
    });
  }

  // Delete links: confirm in a dialog instead of on a separate page.
  const deleteDialog = document.getElementById("delete-key-dialog");
  for (const link of document.querySelectorAll("[data-confirm-delete]")) {
    if (!deleteDialog || typeof deleteDialog.showModal !== "function") break;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      deleteDialog.querySelector("form").action = link.getAttribute("href");
      deleteDialog.querySelector("[data-key-name]").textContent = link.dataset.confirmDelete;
      deleteDialog.showModal();
    });
  }

  // Buttons that ask before submitting their form.
  for (const button of document.querySelectorAll("button[data-confirm]")) {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  }

  for (const button of document.querySelectorAll("[data-close-dialog]")) {
    button.addEventListener("click", () => button.closest("dialog")?.close());
  }

  // The dialog that shows a new key: make it modal, and make sure a reload of this page
  // fetches the list again instead of re-posting the form.
  const newKey = document.getElementById("new-key-dialog");
  if (newKey) {
    history.replaceState(null, "", location.pathname);
    if (typeof newKey.showModal === "function") {
      newKey.close();
      newKey.showModal();
    }
    newKey.addEventListener("cancel", (event) => event.preventDefault());
    const input = document.getElementById("new-api-key");
    input?.addEventListener("focus", () => input.select());
  }

  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      try {
        await navigator.clipboard.writeText(source.value);
      } catch {
        source.select();
        document.execCommand("copy");
      }
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = "Copy"; }, 4000);
    });
  }
});
