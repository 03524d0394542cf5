// The three patterns of Electron's IPC tutorial, in one preload.
const { contextBridge, ipcRenderer } = require('electron');

contextBridge.exposeInMainWorld('electronAPI', {
  // Pattern 1, renderer to main: one way.
  setTitle: (title) => ipcRenderer.send('set-title', title),
  // Pattern 2, renderer to main and back.
  openFile: () => ipcRenderer.invoke('dialog:openFile'),
  // Pattern 3, main to renderer, and the renderer's answer.
  onUpdateCounter: (callback) => ipcRenderer.on('update-counter', (_event, value) => callback(value)),
  counterValue: (value) => ipcRenderer.send('counter-value', value),
});
