// @ts-check
// Numbers, sizes and places as people read them, shared by the views.

/** @typedef {import("/pkg/index.js").Location} Location */

export const fmt = new Intl.NumberFormat("en-US");

/** Dollars with as many decimals as a small amount needs. @param {number} n */
export const usd = (n) => (n >= 0.01 ? `$${n.toFixed(2)}` : n >= 0.0001 ? `$${n.toFixed(4)}` : `$${n.toPrecision(2)}`);

/** A size as people read it: "512 bytes", "1.5 KB", "20 MB" (as the core words sizes). @param {number} bytes */
export function humanSize(bytes) {
  if (bytes < 1024) return bytes === 1 ? "1 byte" : `${fmt.format(bytes)} bytes`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit + 1 < units.length) {
    value /= 1024;
    unit += 1;
  }
  const shown = value < 10 ? value.toFixed(1).replace(/\.0$/, "") : value.toFixed(0);
  return `${shown} ${units[unit]}`;
}

/** "sheet 'Orders', row 12, column 'email'". @param {Location | undefined | null} at */
export function whereText(at) {
  if (!at) return "";
  const parts = [];
  if (at.sheet) parts.push(`sheet '${at.sheet}'`);
  if (at.row) parts.push(`row ${fmt.format(at.row)}`);
  if (at.column) parts.push(`column '${at.column}'`);
  if (at.line) parts.push(`line ${fmt.format(at.line)}`);
  return parts.join(", ");
}

/**
 * An element with properties and children, the one way views build DOM.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Partial<HTMLElementTagNameMap[K]> & { dataset?: Record<string, string> }} [props]
 * @param {(Node | string)[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, children = []) {
  const { dataset, ...rest } = props;
  const element = Object.assign(document.createElement(tag), rest);
  if (dataset) Object.assign(element.dataset, dataset);
  element.append(...children);
  return element;
}

/** The element with this id (the page's markup is fixed). @param {string} id @returns {any} */
export const $ = (id) => /** @type {any} */ (document.getElementById(id));
