//! Test binary a of the example suite: each test gets the suite's one Redis.

mod common;

#[tokio::test]
async fn ping_a() {
    let stack = common::stack().await;
    assert_eq!(common::redis(&stack, "PING"), "+PONG");
}

#[tokio::test]
async fn set_then_get_a() {
    let stack = common::stack().await;
    assert_eq!(common::redis(&stack, "SET suite-a hello"), "+OK");
    assert_eq!(common::redis(&stack, "GET suite-a"), "$5");
}

#[tokio::test]
async fn counters_add_up_a() {
    let stack = common::stack().await;
    let first: i64 = common::redis(&stack, "INCR hits-a")[1..].parse().unwrap();
    let second: i64 = common::redis(&stack, "INCR hits-a")[1..].parse().unwrap();
    assert_eq!(second, first + 1);
}
