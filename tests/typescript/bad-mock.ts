// The mock given a store of the wrong type: `tsc --noEmit` must refuse it (the test
// checks that it does, and where).
import { mockApis } from "./voltaic-mock.js";

mockApis({
  notes: { add: () => "not a number" },
});
