"""The edit dialogs of the record pages (学员/家长, 订单, 课表, 员工) and the widgets they share."""
