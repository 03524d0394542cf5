// Not part of the reference page code: shows what arrives, so a screenshot proves it.
window.addEventListener('DOMContentLoaded', () => {
  const show = (id, text) => {
    document.getElementById(id).textContent = text;
  };
  window.electronAPI.getData().then(data => show('data', data.result));
  window.electronAPI.onUpdate(data => show('update', data));
});
