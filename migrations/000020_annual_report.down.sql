DROP TABLE annual_reports;
DROP FUNCTION kijun_annual_reports_guard();
