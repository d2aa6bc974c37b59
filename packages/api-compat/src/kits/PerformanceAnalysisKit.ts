/** `@kit.PerformanceAnalysisKit`: `hilog`. @module */

import * as hilog from '../hilog.js';

export { hilog };
