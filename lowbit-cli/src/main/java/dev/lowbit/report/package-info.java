/** Output formats for results: JSON (one object on stdout), human tables, PNG plots. */
package dev.lowbit.report;
