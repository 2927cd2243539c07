-- Drops the function and, with it, every trigger that calls it.
DROP FUNCTION kijun_figures_changed() CASCADE;
