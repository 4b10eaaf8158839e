using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ConOps.Console.History.Migrations
{
    /// <inheritdoc />
    public partial class Sources : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Model",
                table: "Releases",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "User",
                table: "Releases",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Labels",
                table: "Hosts",
                type: "TEXT",
                nullable: false,
                defaultValue: "{}");

            migrationBuilder.AddColumn<string>(
                name: "Source",
                table: "Hosts",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Definition",
                table: "Apps",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ProtectedSecrets",
                table: "Apps",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "AppHostStates",
                columns: table => new
                {
                    App = table.Column<string>(type: "TEXT", nullable: false),
                    Host = table.Column<string>(type: "TEXT", nullable: false),
                    Deployed = table.Column<byte[]>(type: "BLOB", nullable: true),
                    DeployedCommit = table.Column<string>(type: "TEXT", nullable: true),
                    Pending = table.Column<byte[]>(type: "BLOB", nullable: true),
                    PendingPlan = table.Column<string>(type: "TEXT", nullable: true),
                    PendingCommit = table.Column<string>(type: "TEXT", nullable: true),
                    PendingMessage = table.Column<string>(type: "TEXT", nullable: false),
                    PendingAuthor = table.Column<string>(type: "TEXT", nullable: false),
                    PendingTrigger = table.Column<string>(type: "TEXT", nullable: false),
                    PendingSince = table.Column<long>(type: "INTEGER", nullable: true),
                    PausedReason = table.Column<string>(type: "TEXT", nullable: true),
                    PausedAtCommit = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AppHostStates", x => new { x.App, x.Host });
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AppHostStates");

            migrationBuilder.DropColumn(
                name: "Model",
                table: "Releases");

            migrationBuilder.DropColumn(
                name: "User",
                table: "Releases");

            migrationBuilder.DropColumn(
                name: "Labels",
                table: "Hosts");

            migrationBuilder.DropColumn(
                name: "Source",
                table: "Hosts");

            migrationBuilder.DropColumn(
                name: "Definition",
                table: "Apps");

            migrationBuilder.DropColumn(
                name: "ProtectedSecrets",
                table: "Apps");
        }
    }
}
