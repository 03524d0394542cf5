// The page: it reaches the main process only through what the preload exposed.
const titleInput = document.getElementById('title');
document.getElementById('set-title').addEventListener('click', () => {
  window.electronAPI.setTitle(titleInput.value);
});

const filePath = document.getElementById('file-path');
document.getElementById('open-file').addEventListener('click', async () => {
  filePath.innerText = (await window.electronAPI.openFile()) ?? '(none)';
});

const counter = document.getElementById('counter');
window.electronAPI.onUpdateCounter((step) => {
  const value = Number(counter.innerText) + step;
  counter.innerText = value.toString();
  window.electronAPI.counterValue(value);
});
