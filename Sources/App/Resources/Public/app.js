// Progressive enhancement only: every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const canShowModal = typeof HTMLDialogElement === "function" && "showModal" in HTMLDialogElement.prototype;

  // Focuses the first field with a problem, else the first field (for form dialogs).
  const focusFirstField = (dialog) => {
    const field = dialog.querySelector("[aria-invalid=true]") || dialog.querySelector("input:not([type=hidden]), textarea, select");
    if (field) field.focus();
  };

  // Links that open a <dialog> holding the same form as the page they point to.
  for (const link of document.querySelectorAll("[data-dialog]")) {
    const dialog = document.getElementById(link.dataset.dialog);
    if (!dialog || !canShowModal) continue;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      dialog.showModal();
      focusFirstField(dialog);
    });
  }

  // A form dialog the server sent back open, with the problems of what was posted: modal again.
  for (const dialog of document.querySelectorAll("dialog[data-reopen]")) {
    if (!canShowModal) continue;
    dialog.close();
    dialog.showModal();
    focusFirstField(dialog);
  }

  // Delete links: confirm in a dialog instead of on a separate page. Cancel has the focus, so
  // pressing Enter twice on Delete deletes nothing.
  const deleteDialog = document.getElementById("delete-key-dialog");
  for (const link of document.querySelectorAll("[data-confirm-delete]")) {
    if (!deleteDialog || !canShowModal) break;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      deleteDialog.querySelector("form").action = link.getAttribute("href");
      deleteDialog.querySelector("[data-key-name]").textContent = link.dataset.confirmDelete;
      deleteDialog.showModal();
      deleteDialog.querySelector("[data-close-dialog]").focus();
    });
  }

  // Buttons that ask before submitting their form, in a dialog whose safe choice has the focus.
  let confirmDialog = null;
  const askFirst = (button) => {
    if (!confirmDialog) {
      confirmDialog = document.createElement("dialog");
      confirmDialog.id = "confirm-dialog";
      confirmDialog.setAttribute("aria-labelledby", "confirm-dialog-title");
      confirmDialog.innerHTML =
        '<div class="stack"><h2 id="confirm-dialog-title"></h2><p id="confirm-dialog-detail"></p>' +
        '<div class="buttons"><button type="button" class="danger" data-answer="yes"></button>' +
        '<button type="button" data-answer="no"></button></div></div>';
      (document.querySelector("main") || document.body).append(confirmDialog);
    }
    confirmDialog.querySelector("h2").textContent = button.dataset.confirm;
    const detail = confirmDialog.querySelector("#confirm-dialog-detail");
    detail.textContent = button.dataset.confirmDetail || "";
    detail.hidden = !button.dataset.confirmDetail;
    if (button.dataset.confirmDetail) confirmDialog.setAttribute("aria-describedby", "confirm-dialog-detail");
    else confirmDialog.removeAttribute("aria-describedby");
    const yes = confirmDialog.querySelector("[data-answer=yes]");
    const no = confirmDialog.querySelector("[data-answer=no]");
    yes.textContent = button.dataset.confirmLabel || button.textContent.trim();
    no.textContent = button.dataset.dismissLabel || "Cancel";
    yes.onclick = () => {
      confirmDialog.close();
      // A form that asks again on a page of its own unless told it was confirmed.
      const confirmed = button.form?.querySelector("[data-confirmed]");
      if (confirmed) confirmed.value = "yes";
      button.dataset.confirmed = "yes";
      button.click();
    };
    no.onclick = () => confirmDialog.close();
    confirmDialog.showModal();
    no.focus();
  };
  for (const button of document.querySelectorAll("button[data-confirm]")) {
    button.addEventListener("click", (event) => {
      if (button.dataset.confirmed === "yes") {
        delete button.dataset.confirmed;
        return;
      }
      event.preventDefault();
      if (canShowModal) {
        askFirst(button);
      } else if (window.confirm([button.dataset.confirm, button.dataset.confirmDetail].filter(Boolean).join("\n\n"))) {
        const confirmed = button.form.querySelector("[data-confirmed]");
        if (confirmed) confirmed.value = "yes";
        button.form.submit();
      }
    });
  }

  // Permission choices: ticking a permission means "Only these", and choosing all of the team's
  // unticks them, so what the form shows is what the key gets (the server refuses a mix).
  for (const fieldset of document.querySelectorAll("fieldset[data-permissions]")) {
    const only = fieldset.querySelector("input[name=permission_choice][value=only]");
    const all = fieldset.querySelector("input[name=permission_choice][value=team]");
    const boxes = fieldset.querySelectorAll("input[name='permissions[]']");
    for (const box of boxes) {
      box.addEventListener("change", () => {
        if (box.checked && only) only.checked = true;
      });
    }
    all?.addEventListener("change", () => {
      if (all.checked) for (const box of boxes) box.checked = false;
    });
  }

  // A key's events: ticking one chooses "Only these events", "All events" unticks them, and a
  // search box (only with script: without it, the whole list shows) narrows a long list.
  for (const fieldset of document.querySelectorAll("fieldset[data-events]")) {
    const only = fieldset.querySelector("input[name=event_choice][value=only]");
    const all = fieldset.querySelector("input[name=event_choice][value=all]");
    const window = fieldset.querySelector("select[name=event_window]");
    const boxes = fieldset.querySelectorAll("input[name='events[]']");
    for (const box of boxes) {
      box.addEventListener("change", () => {
        if (box.checked && only) only.checked = true;
      });
    }
    all?.addEventListener("change", () => {
      if (!all.checked) return;
      for (const box of boxes) box.checked = false;
      if (window) window.value = "";
    });
    const search = fieldset.querySelector("input[data-event-search]");
    if (search) {
      search.hidden = false;
      search.addEventListener("input", () => {
        const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
        for (const box of boxes) {
          const label = box.closest("label");
          const text = label.textContent.toLowerCase();
          label.hidden = !box.checked && !words.every((word) => text.includes(word));
        }
      });
    }
  }

  for (const button of document.querySelectorAll("[data-close-dialog]")) {
    button.addEventListener("click", () => button.closest("dialog")?.close());
  }

  // The dialog that shows a new key: make it modal, and make sure a reload of this page
  // fetches the list again instead of re-posting the form.
  const newKey = document.getElementById("new-key-dialog");
  if (newKey) {
    history.replaceState(null, "", location.pathname);
    if (canShowModal) {
      newKey.close();
      newKey.showModal();
    }
    newKey.addEventListener("cancel", (event) => event.preventDefault());
    const field = document.getElementById("new-api-key");
    field?.addEventListener("focus", () => field.select());
  }

  // Copy buttons (hidden without script, where they could not work): the text of the element
  // they name, then "Copied" on the button and, for screen readers, in the live region beside it.
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.hidden = false;
    const label = button.textContent;
    const status = button.parentElement.querySelector(".copy-status");
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      const text = "value" in source ? source.value : source.textContent;
      try {
        await navigator.clipboard.writeText(text);
      } catch {
        const range = document.createRange();
        range.selectNodeContents(source);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        if (typeof source.select === "function") source.select();
        document.execCommand("copy");
      }
      button.textContent = "Copied";
      if (status) status.textContent = "Copied to the clipboard.";
      setTimeout(() => {
        button.textContent = label;
        if (status) status.textContent = "";
      }, 4000);
    });
  }
});
