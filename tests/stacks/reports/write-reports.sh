#!/bin/sh
# Writes the JUnit reports of a test run the way test tools do, then the success marker.
set -e
mkdir -p /reports/unit
cat > /reports/unit/TEST-cart.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="cart" tests="3" failures="1" errors="0" skipped="1" time="0.030" timestamp="2025-03-14T09:30:00">
  <testcase classname="shop.cart" name="adds items" time="0.010"/>
  <testcase classname="shop.cart" name="totals prices" time="0.015" file="cart_test.py" line="12">
    <failure message="expected 42, got 41" type="AssertionError">cart_test.py:14: expected 42, got 41</failure>
    <system-out>computing the total of 2 items</system-out>
  </testcase>
  <testcase classname="shop.cart" name="exports csv" time="0.005">
    <skipped message="needs S3"/>
  </testcase>
</testsuite>
XML
cat > /reports/api.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="api">
  <testsuite name="api.orders" tests="2">
    <testcase classname="api.orders" name="creates an order" time="0.120"/>
    <testcase classname="api.orders" name="lists orders" time="0.080"/>
  </testsuite>
</testsuites>
XML
echo "4 of 5 tests passed, 1 skipped"
echo 'Result: SUCCESS!'
