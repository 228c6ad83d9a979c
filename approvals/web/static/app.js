// Progressive enhancement only: every form works without this file.
// 1. Inline validation: fields say what is wrong (in Chinese) as soon as they are left.
// 2. Confirmation: a form with data-confirm asks before it is sent.
(function () {
  "use strict";

  function messageFor(el) {
    var v = el.validity;
    if (v.valid) return "";
    var label = el.dataset.label || (el.labels && el.labels[0] ? el.labels[0].textContent.replace("*", "").trim() : "此项");
    if (v.valueMissing) return el.dataset.msgRequired || ("请填写" + label + "。");
    if (v.patternMismatch) return el.dataset.msgPattern || (label + "的格式不正确。");
    if (v.tooLong) return label + "最多 " + el.maxLength + " 个字。";
    if (v.tooShort) return label + "至少 " + el.minLength + " 个字。";
    if (v.rangeUnderflow) return label + "不能小于 " + el.min + "。";
    if (v.rangeOverflow) return label + "不能大于 " + el.max + "。";
    if (v.typeMismatch || v.badInput) return label + "的格式不正确。";
    return el.validationMessage || (label + "填写有误。");
  }

  function errorBox(el) {
    var id = (el.id || el.name) + "-error";
    var box = document.getElementById(id);
    if (!box) {
      box = document.createElement("span");
      box.id = id;
      box.className = "error-text";
      box.setAttribute("aria-live", "polite");
      el.insertAdjacentElement("afterend", box);
      var described = (el.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (described.indexOf(id) < 0) described.push(id);
      el.setAttribute("aria-describedby", described.join(" "));
    }
    return box;
  }

  function check(el) {
    if (!el.willValidate || el.type === "hidden") return true;
    var message = messageFor(el);
    errorBox(el).textContent = message;
    if (message) el.setAttribute("aria-invalid", "true");
    else el.removeAttribute("aria-invalid");
    return !message;
  }

  document.addEventListener("focusout", function (e) {
    var el = e.target;
    if (el.form && el.form.classList.contains("validate") && el.matches("input, select, textarea")) check(el);
  });
  document.addEventListener("input", function (e) {
    var el = e.target;
    if (el.getAttribute && el.getAttribute("aria-invalid") === "true") check(el);
  });

  var dialog = null;
  function confirmDialog(text, onYes) {
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.className = "confirm";
      dialog.setAttribute("aria-labelledby", "confirm-title");
      dialog.innerHTML = '<h2 id="confirm-title">请确认</h2><p id="confirm-text"></p>' +
        '<div><button type="button" class="button" data-answer="yes">确认提交</button>' +
        '<button type="button" class="button secondary" data-answer="no">取消</button></div>';
      document.body.appendChild(dialog);
    }
    dialog.querySelector("#confirm-text").textContent = text;
    dialog.querySelector('[data-answer="yes"]').onclick = function () { dialog.close(); onYes(); };
    dialog.querySelector('[data-answer="no"]').onclick = function () { dialog.close(); };
    dialog.showModal();
    dialog.querySelector('[data-answer="no"]').focus();
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.classList.contains("validate")) {
      var ok = true, first = null;
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.matches && el.matches("input, select, textarea") && !check(el)) {
          ok = false; first = first || el;
        }
      });
      if (!ok) { e.preventDefault(); first.focus(); return; }
    }
    if (form.dataset.confirm && form.dataset.confirmed !== "1") {
      e.preventDefault();
      var submitter = e.submitter;
      confirmDialog(form.dataset.confirm, function () {
        form.dataset.confirmed = "1";
        if (submitter && submitter.name) {
          var keep = document.createElement("input");
          keep.type = "hidden"; keep.name = submitter.name; keep.value = submitter.value;
          form.appendChild(keep);
        }
        form.submit();
      });
    }
  });
})();
