//! Test binary b of the example suite: each test gets the suite's one Redis.

mod common;

#[tokio::test]
async fn ping_b() {
    let stack = common::stack().await;
    assert_eq!(common::redis(&stack, "PING"), "+PONG");
}

#[tokio::test]
async fn set_then_get_b() {
    let stack = common::stack().await;
    assert_eq!(common::redis(&stack, "SET suite-b hello"), "+OK");
    assert_eq!(common::redis(&stack, "GET suite-b"), "$5");
}

#[tokio::test]
async fn counters_add_up_b() {
    let stack = common::stack().await;
    let first: i64 = common::redis(&stack, "INCR hits-b")[1..].parse().unwrap();
    let second: i64 = common::redis(&stack, "INCR hits-b")[1..].parse().unwrap();
    assert_eq!(second, first + 1);
}
