window.addEventListener('DOMContentLoaded', () => {
  window.electronAPI.getData().then(data => {
    console.log('Data received:', data);
  });
  window.electronAPI.sendMessage('Hello from renderer');
  const cleanup = window.electronAPI.onUpdate(data => {
    console.log('Update received:', data);
  });
  // Later: cleanup();
});
