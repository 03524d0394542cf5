// The same API used wrongly: `tsc --noEmit` must refuse it (the test checks that it
// does, and where).
export async function page(): Promise<void> {
  await window.notes.add({ title: 42 });
}
