// ECGLens: small progressive enhancement of the run page. Without this script the form posts
// to /predict and the server answers with the whole page; with it, the same form is posted
// with ?fragment=1 and the result block is put in place, and images can be dropped in.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("predict-form");
  if (!form) return;
  const input = document.getElementById("image-input");
  const dropzone = document.getElementById("dropzone");
  const preview = document.getElementById("upload-preview");
  const result = document.getElementById("result");
  let previewURL = null;

  function showPreview(file) {
    if (previewURL) URL.revokeObjectURL(previewURL);
    previewURL = file ? URL.createObjectURL(file) : null;
    preview.hidden = !file;
    if (file) preview.src = previewURL;
  }

  function showMessage(text) {
    result.replaceChildren();
    const box = document.createElement("div");
    box.className = "error";
    box.setAttribute("role", "alert");
    const paragraph = document.createElement("p");
    paragraph.textContent = text;
    box.append(paragraph);
    result.append(box);
  }

  input.addEventListener("change", () => showPreview(input.files[0]));

  for (const type of ["dragenter", "dragover"]) {
    dropzone.addEventListener(type, (event) => {
      event.preventDefault();
      dropzone.classList.add("dragging");
    });
  }
  for (const type of ["dragleave", "drop"]) {
    dropzone.addEventListener(type, () => dropzone.classList.remove("dragging"));
  }
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    const files = event.dataTransfer.files;
    if (files.length === 0) return;
    input.files = files;
    showPreview(files[0]);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData();
    const model = form.querySelector("input[name=model]:checked");
    if (model) data.append("model", model.value);
    const explain = form.querySelector("input[name=explain]:checked");
    if (explain) data.append("explain", explain.value);
    if (form.querySelector("input[name=measure]:checked")) data.append("measure", "1");
    if (form.querySelector("input[name=gate]:checked")) data.append("gate", "0");
    const submitter = event.submitter;
    if (submitter && submitter.name === "sample") {
      data.append("sample", submitter.value);
    } else if (input.files.length > 0) {
      data.append("image", input.files[0]);
    } else {
      showMessage("Choose or drop an image first, or pick a sample.");
      return;
    }
    result.setAttribute("aria-busy", "true");
    try {
      const response = await fetch("/predict?fragment=1", { method: "POST", body: data });
      // The server renders this fragment from its templates, escaping every value.
      result.innerHTML = await response.text();
      const heading = document.getElementById("result-heading");
      if (heading) heading.focus();
      result.scrollIntoView({ behavior: "smooth", block: "nearest" });
    } catch (error) {
      showMessage("The server could not be reached: " + error.message);
    } finally {
      result.removeAttribute("aria-busy");
    }
  });
});
