// The comparison page's text and measuring logic, bundled apart from the extension
// (dist/compareVendor.js) and loaded through lazyCompare.ts when the panel first opens.
export { CompareController } from './compareController';
export { renderComparePage } from './comparePage';
