const { contextBridge, ipcRenderer } = require('electron');

contextBridge.exposeInMainWorld('electronAPI', {
  getData: () => ipcRenderer.invoke('get-data'),
  sendMessage: (message) => ipcRenderer.send('message-channel', message),
  onUpdate: (callback) => {
    ipcRenderer.on('update-channel', (_, data) => callback(data));
    return () => ipcRenderer.removeAllListeners('update-channel');
  }
});
